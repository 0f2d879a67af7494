"""The floor: the cheapest Django 5.2 async view that answers a chat completion.

Whatever the gateway adds is measured against this, served the same way
(uvicorn, uvloop + httptools, one worker).
"""
