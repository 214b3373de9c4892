__version__ = "1.0.0"  # follows the API's version (openapi.json info.version)
