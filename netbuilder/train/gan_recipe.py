"""The GAN recipe: plain PyTorch that the engine runs and the exported GAN script copies.

Like :mod:`recipe`, nothing here imports netbuilder: :mod:`netbuilder.train.gan_script`
pastes this source into every exported GAN ``train.py``, so the app and a script take
the same steps by the same lines. Keep it readable: users copy it.

The loss is the standard non-saturating one (Goodfellow et al., 2014): the
discriminator minimises BCE on real samples labelled 1 (or ``1 - smoothing``) and on
generated ones labelled 0; the generator minimises BCE of its samples labelled 1,
which gives strong gradients early on, when the discriminator rejects them easily.
"""

import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F

COLLAPSED = 0.15  # samples this much less varied than the real ones have collapsed to a few modes
D_WINS = 0.05  # D(G(z)) below this for several epochs: the discriminator has won outright
D_WINS_EPOCHS = 3


def make_noise(n, latent_size, kind="normal", generator=None, device="cpu"):
    """``n`` latent vectors: standard normal, or uniform in [-1, 1]."""
    if kind == "uniform":
        return (torch.rand(n, latent_size, generator=generator) * 2 - 1).to(device)
    return torch.randn(n, latent_size, generator=generator).to(device)


def scale_real(x, output_range):
    """Real samples with values in [0, 1] moved to the generator's output range
    (``(-1, 1)`` after a Tanh); ``None`` leaves them as they are."""
    if output_range is None:
        return x
    low, high = output_range
    return x * (high - low) + low


class GanStep:
    """One batch of adversarial training: a discriminator step, and every
    ``d_steps``-th batch a generator step; returns the batch's figures as floats.

    ``probabilities``: the discriminator ends in a Sigmoid, so BCE reads its output
    as a probability; otherwise its output is a logit and ``bce_with_logits`` is the
    same loss, computed stably. ``noise_generator`` draws the latent vectors, so a
    run's noise is its own stream, reproducible from the seed.
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, latent_size, noise="normal",
                 d_steps=1, label_smoothing=0.0, probabilities=True, noise_generator=None):
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_size, self.noise, self.d_steps = latent_size, noise, d_steps
        self.real_label, self.probabilities = 1.0 - label_smoothing, probabilities
        self.noise_generator = noise_generator
        self.batches = 0
        self.last_g_loss = float("nan")

    def loss(self, output, label):
        target = torch.full_like(output, label)
        if self.probabilities:
            return F.binary_cross_entropy(output, target)
        return F.binary_cross_entropy_with_logits(output, target)

    def chance(self, output):
        """D's output read as the probability that a sample is real."""
        return output if self.probabilities else torch.sigmoid(output)

    def __call__(self, real):
        n, device = len(real), real.device
        self.batches += 1
        generator_turn = self.batches % self.d_steps == 0
        z = make_noise(n, self.latent_size, self.noise, self.noise_generator, device)
        with torch.set_grad_enabled(generator_turn):  # no graph to keep when G does not step
            fake = self.generator(z)
        # real and generated samples in one forward pass: under DistributedDataParallel a
        # module may run forward only once for each backward
        judged = self.discriminator(torch.cat([real, fake.detach()]))
        on_real, on_fake = judged[:n], judged[n:]
        d_loss = self.loss(on_real, self.real_label) + self.loss(on_fake, 0.0)
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        if generator_turn:
            g_loss = self.loss(self.discriminator(fake), 1.0)  # non-saturating: fakes labelled real
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_optimizer.step()
            self.last_g_loss = g_loss.item()
        return {"d_loss": d_loss.item(), "g_loss": self.last_g_loss,
                "d_real": self.chance(on_real).mean().item(), "d_fake": self.chance(on_fake).mean().item()}


def gan_epoch(step, batches, device="cpu"):
    """Take ``step`` on every batch of real samples, yielding ``(batch number, batch size,
    figures)`` after each. A NaN loss raises ``FloatingPointError``."""
    step.generator.train()
    step.discriminator.train()
    for number, (real, _) in enumerate(batches, start=1):
        figures = step(real.to(device, non_blocking=True))
        if not np.isfinite(figures["d_loss"]) or not (np.isfinite(figures["g_loss"]) or number < step.d_steps):
            raise FloatingPointError(f"the GAN's losses became {figures['d_loss']} (D) and {figures['g_loss']} "
                                     f"(G) at step {number}: lower the learning rates")
        yield number, len(real), figures


@torch.no_grad()
def generate_samples(generator, fixed_noise, image_shape):
    """The generator's samples for ``fixed_noise``, shaped as images ``(n, C, H, W)``."""
    was_training = generator.training
    generator.eval()
    samples = generator(fixed_noise).float().cpu()
    generator.train(was_training)
    return samples.reshape(len(samples), *image_shape).numpy()


def variety(samples):
    """How much samples differ from each other: the mean per-pixel standard
    deviation across the batch. Compared with the real data's, it tells collapse."""
    flat = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    return float(flat.std(axis=0).mean())


def image_grid(samples, value_range=(-1.0, 1.0), columns=None, pad=1):
    """One ``uint8`` picture of a batch of images ``(n, C, H, W)`` (C = 1 or 3),
    ``(rows·(H+pad)+pad, columns·(W+pad)+pad[, 3])``, values mapped from ``value_range``."""
    samples = np.asarray(samples, dtype=np.float32)
    n, channels, height, width = samples.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    low, high = value_range
    pixels = np.clip((samples - low) / max(high - low, 1e-12), 0.0, 1.0)
    grid = np.zeros((channels, rows * (height + pad) + pad, columns * (width + pad) + pad), dtype=np.float32)
    for i in range(n):
        top, left = pad + (i // columns) * (height + pad), pad + (i % columns) * (width + pad)
        grid[:, top:top + height, left:left + width] = pixels[i]
    grid = (grid * 255 + 0.5).astype(np.uint8)
    return grid[0] if channels == 1 else np.moveaxis(grid[:3], 0, -1)


def save_png(picture, path, scale=4):
    """Write a ``uint8`` grey ``(H, W)`` or RGB ``(H, W, 3)`` array as a PNG, each pixel
    ``scale`` pixels wide, with the standard library only (no Pillow needed)."""
    picture = np.repeat(np.repeat(np.asarray(picture, dtype=np.uint8), scale, axis=0), scale, axis=1)
    height, width = picture.shape[:2]
    colour = 2 if picture.ndim == 3 else 0
    rows = b"".join(b"\x00" + picture[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
                   + chunk(b"IEND", b""))


def gan_warnings(history, samples_variety, real_variety):
    """Plain warnings about a run's last epoch, each with what usually helps."""
    found = []
    recent = [row["d_fake"] for row in history[-D_WINS_EPOCHS:]]
    if len(recent) == D_WINS_EPOCHS and max(recent) < D_WINS:
        found.append(("discriminator_wins",
                      f"the discriminator wins outright: D(G(z)) has stayed below {D_WINS} for {D_WINS_EPOCHS} "
                      "epochs, so the generator learns almost nothing. What usually helps: label smoothing "
                      "(0.1), a lower discriminator learning rate, or fewer discriminator steps."))
    if real_variety > 0 and samples_variety < COLLAPSED * real_variety:
        found.append(("mode_collapse",
                      f"the generator has collapsed: its samples are nearly identical ({samples_variety:.3f} "
                      f"variation against {real_variety:.3f} in the real data). What usually helps: a lower "
                      "generator learning rate, label smoothing, or restarting with another seed."))
    return found
