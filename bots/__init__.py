"""Clients of Xietong over the network: the realtime client library, and chat-ops bots."""
