"""QNP Studio engine: a discrete-event simulator of the Quantum Network Protocol.

Layers follow the protocol stack (bottom up): ``model`` and ``kernel`` → ``physical`` and
``backends`` → ``link`` → ``network`` and ``control`` → ``apps`` → ``sim`` → ``cli``. The engine
knows nothing of storage or the UI.
"""
