"""Physical layer: fibre loss and delay, heralding models, memory decoherence parameters."""
