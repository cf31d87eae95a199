"""brainmark.benchmarks"""
