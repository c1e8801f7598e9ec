"""User modules inside user modules, the MobileNetV2 way: a Sequential subclass (``ConvBNReLU``),
an ``InvertedResidual`` whose skip depends on its constructor, and an encoder that walks an
``nn.ModuleList`` of blocks in ``forward``."""

import torch
from torch import nn


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden_dim = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            ConvBNReLU(inp, hidden_dim, kernel_size=1),
            ConvBNReLU(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        )

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class Encoder(nn.Module):
    def __init__(self, widths=(8, 16, 16, 24)):
        super().__init__()
        self.blocks = nn.ModuleList(
            InvertedResidual(a, b, stride=2 if a != b else 1, expand_ratio=2) for a, b in zip(widths, widths[1:]))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class TinyMobileNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = ConvBNReLU(3, 8, stride=2)
        self.encoder = Encoder()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(24, num_classes)

    def forward(self, x):
        x = self.encoder(self.stem(x))
        x = torch.flatten(self.pool(x), 1)
        return self.head(x)
