"""Local stand-ins for company systems the connectors reach: real servers on 127.0.0.1, never the network."""
