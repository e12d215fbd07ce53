"""The verifier network: a few-layer CNN that tells a T-Bank logo crop from a look-alike.

It takes ``(N, 3, S, S)`` float32 BGR pixels in ``0..255`` (what :func:`~.crops.crop_batch`
gives, transposed) and returns ``(N,)`` logits; the ONNX export appends the sigmoid, so the
exported model answers probabilities and inference needs nothing but onnxruntime.
"""
import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class VerifierNet(nn.Module):
    """Four stride-2 conv blocks (64 px -> 4 px), global average pooling, one linear layer.

    About 60 K parameters with the default widths: the crops are small and the decision
    (shield + T, not a crest or a bare letter) is a matter of shape and colour, not of
    fine texture.
    """

    def __init__(self, widths=(16, 32, 64, 64)):
        super().__init__()
        layers, cin = [], 3
        for cout in widths:
            layers.append(_block(cin, cout))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(cin, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x / 127.5 - 1.0  # normalisation lives in the graph: ONNX callers feed raw pixels
        x = self.features(x).mean(dim=(2, 3))
        return self.head(self.dropout(x)).squeeze(1)


class _WithSigmoid(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def export_onnx(net: nn.Module, path: str, size: int) -> None:
    """Write ``net`` + sigmoid as ONNX: input ``crops`` ``(N, 3, size, size)``, output
    ``prob`` ``(N,)``, dynamic batch."""
    model = _WithSigmoid(net).eval()
    dummy = torch.zeros(2, 3, size, size)
    # dynamo=False: the TorchScript exporter needs no onnxscript (not installed) and is
    # deterministic for a graph this simple.
    torch.onnx.export(model, (dummy,), path, input_names=['crops'], output_names=['prob'],
                      dynamic_axes={'crops': {0: 'n'}, 'prob': {0: 'n'}}, opset_version=13,
                      dynamo=False)
