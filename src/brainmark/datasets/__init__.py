"""brainmark.datasets"""
