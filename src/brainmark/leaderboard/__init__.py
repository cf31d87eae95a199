"""brainmark.leaderboard"""
