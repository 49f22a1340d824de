"""``nerspec serve``: the prediction server (native endpoint, admin upload, reference jobs API).

Nothing here is imported by ``nerspec.cli`` at start-up; FastAPI and uvicorn are imported by ``app.py`` and
``server.py`` only, which the ``serve`` command loads inside its body.
"""
