"""The HTTP server under the app: uvicorn on its h11 protocol, with the service's error format
for requests that never reach the app.

uvicorn answers a request its parser refuses (a garbage request line, a bad Content-Length,
a broken chunk) itself, with a plain-text 400; :class:`JsonErrorH11Protocol` answers it in the
``{"error", "detail"}`` shape every other error has.
"""
import json

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; its 400 for an unparsable request is JSON."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({'error': 'malformed HTTP request', 'detail': msg}).encode()
        headers = [(b'content-type', b'application/json'),
                   (b'content-length', str(len(body)).encode()), (b'connection', b'close')]
        for event in (h11.Response(status_code=400, headers=headers, reason=b'Bad Request'),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def uvicorn_config(app, **kwargs) -> uvicorn.Config:
    """The service's uvicorn configuration (``kwargs``: host, port, lifespan...): its logging
    is the service's JSON log, its protocol :class:`JsonErrorH11Protocol`."""
    return uvicorn.Config(app, http=JsonErrorH11Protocol, log_config=None, access_log=False,
                          **kwargs)
