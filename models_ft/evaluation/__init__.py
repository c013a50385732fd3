"""Offline evaluation of generated replies: how close a draft comes to what the agent actually sent, whether
its citations point at passages it was given, and whether it keeps the house style."""
