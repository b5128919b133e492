"""QNP network layer: virtual circuits, FORWARD/COMPLETE/TRACK/EXPIRE, swaps, lazy tracking."""
