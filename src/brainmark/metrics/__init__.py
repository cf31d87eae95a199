"""brainmark.metrics"""
