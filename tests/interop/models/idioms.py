"""Everyday idioms of published architectures, written the usual way (small sizes).

Squeeze-and-excitation, a dense block, a U-Net with F.pad and torch.cat, a
ShuffleNet unit, a ViT-style encoder with a class token and position
embedding, a DCGAN-style discriminator returning one score per sample, and
the chunk / split / unbind / indexing idioms of attention code.
"""

import torch
import torch.nn.functional as F
from torch import nn


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s


class SENet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.se = SqueezeExcitation(16)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.se(x)
        return self.fc(x.mean([2, 3]))


class DenseLayer(nn.Module):
    def __init__(self, in_channels, growth):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, growth, 3, padding=1, bias=False)

    def forward(self, features):
        x = torch.cat(features, 1)
        return self.conv(F.relu(self.norm(x)))


class DenseNet(nn.Module):
    def __init__(self, growth=4, layers=3, num_classes=5):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.layers = nn.ModuleList(DenseLayer(8 + i * growth, growth) for i in range(layers))
        self.norm = nn.BatchNorm2d(8 + layers * growth)
        self.classifier = nn.Linear(8 + layers * growth, num_classes)

    def forward(self, x):
        features = [self.stem(x)]
        for layer in self.layers:
            features.append(layer(features))
        x = F.relu(self.norm(torch.cat(features, 1)))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


class Up(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
        self.conv = nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels),
                                  nn.ReLU(inplace=True))

    def forward(self, x1, x2):
        x1 = self.up(x1)
        diff_y = x2.size()[2] - x1.size()[2]
        diff_x = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2, diff_y // 2, diff_y - diff_y // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, classes=2):
        super().__init__()
        self.inc = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.up = Up(16, 8)
        self.outc = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down(x1)
        return self.outc(self.up(x2, x1))


def channel_shuffle(x, groups):
    batch, channels, height, width = x.size()
    x = x.view(batch, groups, channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, -1, height, width)


class ShuffleUnit(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        half = channels // 2
        self.branch = nn.Sequential(
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        out = torch.cat((x1, self.branch(x2)), dim=1)
        return channel_shuffle(out, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(0, 3, 2, 1, 4)
        q, k, v = qkv.unbind(2)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.gamma = nn.Parameter(torch.full((dim,), 0.5))  # layer scale

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.gamma * self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, image=8, patch=4, dim=16, depth=2, heads=2, num_classes=5):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls_token = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_token, x), dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(16, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


class SplitHeads(nn.Module):
    """q, k, v by chunk; a split into two sizes; the last token by x[..., -1, :]; a slice x[..., :k]."""

    def __init__(self, dim=12):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim // 2, 3)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        y = F.scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)).squeeze(1)
        small, large = torch.split(y, [4, 8], dim=2)
        y = torch.cat([large[..., :4], small], dim=-1).repeat(1, 1, 2)
        last = y[..., -1, :]
        return self.out(last[:, :6].expand(-1, 6).clamp(min=-3.0))


class TransformerClassifier(nn.Module):
    """Token ids → embedding + learned positions → nn.TransformerEncoder → mean over tokens → classes."""

    def __init__(self, vocab=50, dim=16, classes=3, nested=False):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, 7, dim) * 0.1)
        layer = nn.TransformerEncoderLayer(dim, 2, dim_feedforward=32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=nested)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids):
        x = self.embed(ids) + self.pos
        x = self.encoder(x)
        return self.fc(x.mean(dim=1))


class DropPath(nn.Module):
    """Stochastic depth, as timm writes it."""

    def __init__(self, drop_prob=0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1 - self.drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = x.new_empty(shape).bernoulli_(keep)
        return x * random_tensor.div_(keep)


class OwnNorms(nn.Module):
    """F.layer_norm, F.group_norm and F.linear with the module's own weights, and a drop path on the residual branch."""

    def __init__(self, dim=8):
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(0.5, 1.5, dim))
        self.bias = nn.Parameter(torch.linspace(-0.1, 0.1, dim))
        self.gn_weight = nn.Parameter(torch.full((dim,), 2.0))
        self.gn_bias = nn.Parameter(torch.full((dim,), 0.5))
        self.fc = nn.Linear(dim, dim)
        self.drop_path = DropPath(0.2)
        self.no_drop = DropPath(0.0)
        self.head_weight = nn.Parameter(torch.randn(3, dim) * 0.3)

    def forward(self, x):
        y = F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, 1e-6)
        x = x + self.drop_path(self.fc(y))
        z = F.group_norm(x.transpose(1, 2), 2, self.gn_weight, self.gn_bias).transpose(1, 2)
        return F.linear(self.no_drop(x + z), self.head_weight)


class SegNetStage(nn.Module):
    """SegNet's decoder: MaxUnpool2d puts each value back where the encoder's pool found its maximum."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.dec = nn.Conv2d(8, 2, 3, padding=1)

    def forward(self, x):
        x, indices = self.pool(self.enc(x))
        x = self.unpool(self.mid(x), indices)
        return self.dec(x)



class VolumeSegNetStage(nn.Module):
    """The same in 3-D (volumes, as in V-Net-like decoders): MaxUnpool3d takes MaxPool3d's indices."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU())
        self.pool = nn.MaxPool3d(2, return_indices=True)
        self.unpool = nn.MaxUnpool3d(2)
        self.dec = nn.Conv3d(4, 1, 1)

    def forward(self, x):
        x, indices = self.pool(self.enc(x))
        return self.dec(self.unpool(torch.relu(x), indices))


class Seq2Seq(nn.Module):
    """An encoder-decoder as tutorials write it: the encoder's final (h, c) is the decoder's initial state."""

    def __init__(self, vocabulary=30, dim=8, hidden=12):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, dim)
        self.encoder = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.out = nn.Linear(hidden, vocabulary)

    def forward(self, tokens):
        embedded = self.embed(tokens)
        _, (h, c) = self.encoder(embedded)
        decoded, _ = self.decoder(embedded, (h, c))
        return self.out(decoded)

class SinusoidalEncoder(nn.Module):
    """A fixed sinusoidal position table kept as a buffer (as in "Attention is all you need"), added to the input."""

    def __init__(self, length=4, dim=8):
        super().__init__()
        position = torch.arange(length).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-torch.log(torch.tensor(10000.0)) / dim))
        pe = torch.zeros(1, length, dim)
        pe[0, :, 0::2] = torch.sin(position * div)
        pe[0, :, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe)
        self.fc = nn.Linear(dim, 3)

    def forward(self, x):
        x = x + self.pe  # (torch.fx cannot slice a buffer by x.size(1): a tensor, not a proxy, is indexed)
        return self.fc(x)
