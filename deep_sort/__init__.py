"""DeepSORT: Simple Online and Realtime Tracking with a Deep Association Metric.

The core (this package's top-level modules) needs only numpy and scipy.
"""
__version__ = "1.0.0"
