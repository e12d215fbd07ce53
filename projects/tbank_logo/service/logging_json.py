"""One JSON object per log line, carrying the id of the request being served."""
import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Optional

LOGGER_NAME = 'tbank.service'
REQUEST_ID_HEADER = 'X-Request-ID'
request_id_var: contextvars.ContextVar = contextvars.ContextVar('request_id', default=None)
_SAFE_ID = re.compile(r'^[A-Za-z0-9._:-]{1,64}$')  # a client's id is echoed in logs/headers


def new_request_id(client_id: Optional[str] = None) -> str:
    """The client's ``X-Request-ID`` when it is a short safe token, else a fresh one."""
    if client_id and _SAFE_ID.match(client_id):
        return client_id
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...extra}`` on one line.

    Extra fields are passed as ``logger.info('msg', extra={'fields': {...}})``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            'ts': time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))
            + f'.{int(record.msecs):03d}Z',
            'level': record.levelname.lower(),
            'logger': record.name,
            'msg': record.getMessage(),
        }
        request_id = getattr(record, 'request_id', None) or request_id_var.get()
        if request_id:
            entry['request_id'] = request_id
        entry.update(getattr(record, 'fields', None) or {})
        if record.exc_info:
            entry['exc'] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def setup_json_logging(level: str = 'INFO', stream=None) -> None:
    """Route the root logger (uvicorn's too, and warnings) to one JSON handler on ``stream``
    (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # library warnings become JSON lines too
    for name in ('uvicorn', 'uvicorn.error', 'uvicorn.access'):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
