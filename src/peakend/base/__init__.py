"""The base layer: what every package may use, importing no other peakend package.

Distributions, names and one-line messages, the user-input error, the registry of
plug-in models and the plug-in slots through which the schema checks them.
"""
