"""Triton Inference Server ``config.pbtxt``: write it, and check it strictly without Triton.

``config.pbtxt`` is a ``inference.ModelConfig`` protobuf message in text format
(``model_config.proto`` of triton-inference-server/common). The official Python definitions
(``tritonclient.grpc.model_config_pb2``) need protobuf >= 6 (and, in older releases, numpy < 2),
which the pinned ONNX / MMDeploy stack cannot take, so this module carries a transcription of
the part of the schema that :mod:`mmdet_ext.deploy.triton` writes — the field names, their types,
which are repeated and the enum values, as in ``model_config.proto`` — and checks a config
against it the way ``text_format.Parse`` would (an unknown field, an unknown enum value, a
scalar given twice or a value of the wrong type is an error; enums must be given by name),
plus the rules Triton itself applies when it loads a model (``ValidateModelConfig``: batch
dims, preferred batch sizes, platform / backend pairs, instance groups).

A config is represented as a dict: message fields hold dicts, repeated fields lists, enums
their names (``'TYPE_FP32'``).
"""
import re
from typing import Dict, List, Sequence, Tuple

# Field kinds: a scalar type name, ('enum', values) or ('msg', message name).
_INT32 = ('int', -2**31, 2**31 - 1)
_INT64 = ('int', -2**63, 2**63 - 1)
_UINT64 = ('int', 0, 2**64 - 1)

DATA_TYPES = ('TYPE_INVALID', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT16', 'TYPE_UINT32',
              'TYPE_UINT64', 'TYPE_INT8', 'TYPE_INT16', 'TYPE_INT32', 'TYPE_INT64', 'TYPE_FP16',
              'TYPE_FP32', 'TYPE_FP64', 'TYPE_STRING', 'TYPE_BF16')
INSTANCE_KINDS = ('KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL')
INPUT_FORMATS = ('FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW')

#: platform -> the backend that serves it (Triton accepts either field, or both if they agree).
PLATFORM_BACKENDS = {'onnxruntime_onnx': 'onnxruntime', 'tensorrt_plan': 'tensorrt',
                     'pytorch_libtorch': 'pytorch', 'tensorflow_savedmodel': 'tensorflow',
                     'tensorflow_graphdef': 'tensorflow'}

# message -> field -> (kind, repeated). Transcribed from model_config.proto; only the
# messages and fields this package writes (a strict check of what we emit, not all of Triton).
SCHEMA: Dict[str, Dict[str, Tuple[object, bool]]] = {
    'ModelConfig': {
        'name': ('string', False),
        'platform': ('string', False),
        'backend': ('string', False),
        'runtime': ('string', False),
        'max_batch_size': (_INT32, False),
        'input': (('msg', 'ModelInput'), True),
        'output': (('msg', 'ModelOutput'), True),
        'dynamic_batching': (('msg', 'ModelDynamicBatching'), False),
        'instance_group': (('msg', 'ModelInstanceGroup'), True),
        'default_model_filename': ('string', False),
    },
    'ModelInput': {
        'name': ('string', False),
        'data_type': (('enum', DATA_TYPES), False),
        'format': (('enum', INPUT_FORMATS), False),
        'dims': (_INT64, True),
        'reshape': (('msg', 'ModelTensorReshape'), False),
        'is_shape_tensor': ('bool', False),
        'allow_ragged_batch': ('bool', False),
        'optional': ('bool', False),
    },
    'ModelOutput': {
        'name': ('string', False),
        'data_type': (('enum', DATA_TYPES), False),
        'dims': (_INT64, True),
        'reshape': (('msg', 'ModelTensorReshape'), False),
        'label_filename': ('string', False),
        'is_shape_tensor': ('bool', False),
    },
    'ModelTensorReshape': {
        'shape': (_INT64, True),
    },
    'ModelDynamicBatching': {
        'preferred_batch_size': (_INT32, True),
        'max_queue_delay_microseconds': (_UINT64, False),
        'preserve_ordering': ('bool', False),
        'priority_levels': (_UINT64, False),
        'default_priority_level': (_UINT64, False),
    },
    'ModelInstanceGroup': {
        'name': ('string', False),
        'kind': (('enum', INSTANCE_KINDS), False),
        'count': (_INT32, False),
        'gpus': (_INT32, True),
        'profile': ('string', True),
        'passive': ('bool', False),
        'host_policy': ('string', False),
    },
}


class TritonConfigError(ValueError):
    """A ``config.pbtxt`` that Triton would refuse; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__('invalid Triton model config:\n  ' + '\n  '.join(self.problems))


# ------------------------------------------------------------------------------------ writing
def _format_scalar(kind, value) -> str:
    if kind == 'string':
        return '"' + str(value).replace('\\', '\\\\').replace('"', '\\"') + '"'
    if kind == 'bool':
        return 'true' if value else 'false'
    return str(value)  # ints, and enums (written bare, as names)


def _format_message(msg: Dict, message: str, indent: int,
                    comments: Dict[str, Sequence[str]] = None) -> List[str]:
    pad = '  ' * indent
    lines = []
    for name, value in msg.items():
        kind, repeated = SCHEMA[message][name]
        for comment in (comments or {}).get(name, ()):
            lines.append(f'{pad}# {comment}'.rstrip())
        if isinstance(kind, tuple) and kind[0] == 'msg':
            items = value if repeated else [value]
            body = [_format_message(item, kind[1], indent + 2 if repeated else indent + 1)
                    for item in items]
            if not repeated:
                lines += [f'{pad}{name} {{', *body[0], f'{pad}}}']
                continue
            lines.append(f'{pad}{name} [')
            for i, item_lines in enumerate(body):
                end = ',' if i < len(body) - 1 else ''
                lines += [f'{pad}  {{', *item_lines, f'{pad}  }}{end}']
            lines.append(f'{pad}]')
        elif repeated:
            lines.append(f'{pad}{name}: [ ' + ', '.join(_format_scalar(kind, v) for v in value)
                         + ' ]')
        else:
            lines.append(f'{pad}{name}: {_format_scalar(kind, value)}')
    return lines


def format_pbtxt(config: Dict, comments: Dict[str, Sequence[str]] = None) -> str:
    """``config`` (a ModelConfig dict) as ``config.pbtxt`` text, in the style of Triton's docs.

    Args:
        config: the ModelConfig; keys are written in their dict order.
        comments: top-level field name -> comment lines written (as ``# ...``) above it.
    """
    return '\n'.join(_format_message(config, 'ModelConfig', 0, comments)) + '\n'


# ------------------------------------------------------------------------------------ reading
_TOKEN = re.compile(r'''\s*(?:(\#[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
                       |([{}\[\]:,;])|([A-Za-z0-9_.+-]+)|(\S))''', re.X)


def _tokenize(text: str) -> List[Tuple[str, int]]:
    """``(token, line)`` pairs; comments dropped, strings kept with their quotes."""
    tokens, pos = [], 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None:  # only whitespace left
            return tokens
        pos = m.end()
        if m.group(1):
            continue
        token = next(g for g in m.groups()[1:] if g)
        line = text.count('\n', 0, m.end() - len(token)) + 1
        if m.group(5):
            raise TritonConfigError([f'line {line}: unexpected character {token!r}'])
        tokens.append((token, line))


class _Parser:
    """Recursive-descent text-format parser driven by :data:`SCHEMA`; raises on the first error."""

    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else ''

    def fail(self, message: str):
        line = self.tokens[min(self.i, len(self.tokens) - 1)][1] if self.tokens else 1
        raise TritonConfigError([f'line {line}: {message}'])

    def take(self, expected: str = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            self.fail(f'expected {expected or "a value"!r}, got {token or "end of text"!r}')
        self.i += 1
        return token

    def message(self, message: str, closing: str = '') -> Dict:
        fields = SCHEMA[message]
        out: Dict = {}
        while self.peek() != closing:
            if not self.peek():
                self.fail(f'missing {closing!r}')
            name = self.take()
            if name not in fields:
                self.fail(f'{message} has no field {name!r} (known: {", ".join(fields)})')
            kind, repeated = fields[name]
            if not repeated and name in out:
                self.fail(f'{message}.{name} is not repeated but is given twice')
            is_msg = isinstance(kind, tuple) and kind[0] == 'msg'
            if self.peek() == ':':
                self.take()
            elif not is_msg:
                self.fail(f'expected ":" after {name!r}')
            values = self.list_of(kind, name) if self.peek() == '[' else [self.value(kind, name)]
            if repeated:
                out.setdefault(name, []).extend(values)
            elif len(values) != 1:
                self.fail(f'{message}.{name} is not repeated but is given a list')
            else:
                out[name] = values[0]
            if self.peek() in (',', ';'):
                self.take()
        return out

    def list_of(self, kind, name: str) -> List:
        self.take('[')
        values = []
        while self.peek() != ']':
            values.append(self.value(kind, name))
            if self.peek() != ']':
                self.take(',')
        self.take(']')
        return values

    def value(self, kind, name: str):
        if isinstance(kind, tuple) and kind[0] == 'msg':
            self.take('{')
            value = self.message(kind[1], closing='}')
            self.take('}')
            return value
        token = self.take()
        if kind == 'string':
            if token[0] not in '"\'':
                self.fail(f'{name} must be a quoted string, got {token}')
            return re.sub(r'\\(.)', r'\1', token[1:-1])
        if kind == 'bool':  # the spellings protobuf's text format accepts
            if token not in ('true', 'True', 't', '1', 'false', 'False', 'f', '0'):
                self.fail(f'{name} must be true or false, got {token}')
            return token in ('true', 'True', 't', '1')
        if kind[0] == 'enum':
            if token not in kind[1]:
                self.fail(f'{name}: unknown value {token} (one of {", ".join(kind[1])})')
            return token
        if not re.fullmatch(r'-?\d+', token):  # an int field
            self.fail(f'{name} must be an integer, got {token}')
        if not kind[1] <= int(token) <= kind[2]:
            self.fail(f'{name}: {token} is out of range [{kind[1]}, {kind[2]}]')
        return int(token)


def parse_pbtxt(text: str) -> Dict:
    """Parse ``config.pbtxt`` text against :data:`SCHEMA`; raises :class:`TritonConfigError`."""
    parser = _Parser(text)
    return parser.message('ModelConfig')


# --------------------------------------------------------------------------------- semantics
def _check_tensors(config: Dict, key: str, batching: bool) -> List[str]:
    problems, names = [], set()
    tensors = config.get(key, [])
    if not tensors:
        problems.append(f'no {key} tensors')
    for t in tensors:
        name = t.get('name', '')
        where = f'{key} {name!r}'
        if not name:
            problems.append(f'an {key} tensor has no name')
        elif name in names:
            problems.append(f'{where} is listed twice')
        names.add(name)
        if t.get('data_type', 'TYPE_INVALID') == 'TYPE_INVALID':
            problems.append(f'{where} has no data_type')
        dims = t.get('dims', [])
        if any(d != -1 and d < 1 for d in dims):
            problems.append(f'{where}: dims must be positive or -1 (any size), got {dims}')
        if not batching and not dims and 'reshape' not in t:
            problems.append(f'{where}: dims are empty, which needs max_batch_size > 0')
        if t.get('format', 'FORMAT_NONE') != 'FORMAT_NONE' and len(dims) != 3:
            problems.append(f'{where}: format {t["format"]} needs 3 dims (without the batch), '
                            f'got {dims}')
    return problems


def check_model_config(config: Dict, expected_name: str = None) -> List[str]:
    """Rules Triton applies when loading a model; returns the broken ones (empty: fine).

    Args:
        config: a ModelConfig dict (as from :func:`parse_pbtxt`).
        expected_name: the model directory's name, which ``name`` must equal.
    """
    problems = []
    name = config.get('name', '')
    if expected_name is not None and name != expected_name:
        problems.append(f'name {name!r} differs from the model directory {expected_name!r}')
    platform, backend = config.get('platform', ''), config.get('backend', '')
    if not platform and not backend:
        problems.append('neither platform nor backend is set')
    if platform and platform not in PLATFORM_BACKENDS:
        problems.append(f'unknown platform {platform!r} (one of {", ".join(PLATFORM_BACKENDS)})')
    elif platform and backend and PLATFORM_BACKENDS[platform] != backend:
        problems.append(f'platform {platform!r} is served by backend '
                        f'{PLATFORM_BACKENDS[platform]!r}, not {backend!r}')
    max_batch = config.get('max_batch_size', 0)
    if max_batch < 0:
        problems.append(f'max_batch_size must be >= 0, got {max_batch}')
    problems += _check_tensors(config, 'input', max_batch > 0)
    problems += _check_tensors(config, 'output', max_batch > 0)
    if 'dynamic_batching' in config:
        if max_batch <= 0:
            problems.append('dynamic_batching needs max_batch_size > 0 (a batch dimension)')
        for size in config['dynamic_batching'].get('preferred_batch_size', []):
            if max_batch > 0 and not 0 < size <= max_batch:
                problems.append(f'preferred_batch_size {size} is not in [1, max_batch_size '
                                f'{max_batch}]')
    for group in config.get('instance_group', []):
        kind = group.get('kind', 'KIND_AUTO')
        if group.get('count', 1) < 1:
            problems.append(f'instance_group count must be >= 1, got {group["count"]}')
        if group.get('gpus') and kind not in ('KIND_GPU', 'KIND_AUTO'):
            problems.append(f'instance_group lists gpus but its kind is {kind}')
        if kind == 'KIND_CPU' and (platform == 'tensorrt_plan' or backend == 'tensorrt'):
            problems.append('a TensorRT plan runs on GPU only, instance_group kind is KIND_CPU')
    return problems


def validate_pbtxt(text: str, expected_name: str = None) -> Dict:
    """Parse and check ``config.pbtxt`` text; the config dict, or :class:`TritonConfigError`."""
    config = parse_pbtxt(text)
    problems = check_model_config(config, expected_name)
    if problems:
        raise TritonConfigError(problems)
    return config
