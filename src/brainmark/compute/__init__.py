"""brainmark.compute"""
