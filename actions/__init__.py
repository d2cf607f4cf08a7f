"""Custom actions served by the Rasa action server (`rasa run actions`).

Emergency replies are never here: they are plain domain responses so they work when this server
is down.
"""
