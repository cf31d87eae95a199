"""brainmark.scoring"""
