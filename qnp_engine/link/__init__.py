"""Link layer (EGP-like service): heralded pair generation per link, memories, qubit handles."""
