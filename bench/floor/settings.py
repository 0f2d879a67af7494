"""Settings for the floor: only what Django needs to route one async view.

No apps, no middleware, no database, no templates: anything here would be
cost the floor pays and the gateway may not, which would flatter the gateway.
"""
DEBUG = False
SECRET_KEY = "bench-floor-not-secret"  # nothing is signed; Django only insists it exists
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.floor.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_I18N = False  # the gateway turns it off too; translation lookups are not free
USE_TZ = True
