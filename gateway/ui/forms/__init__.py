"""Forms of /ui pages: plain Django forms that collect what a person typed,
then hand it to the management API's serializers and services, so a page
validates and writes exactly as the API does (gateway/ui/forms/service.py)."""
