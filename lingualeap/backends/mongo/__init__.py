"""MongoDB through txmongo: users, finished matches and word progress (``--mongo``)."""
