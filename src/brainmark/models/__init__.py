"""brainmark.models"""
