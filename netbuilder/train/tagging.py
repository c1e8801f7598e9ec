"""Sequence labelling (one tag per token): plain Python, NumPy and PyTorch.

Nothing here imports netbuilder, on purpose: an exported tagging script pastes the
source below the imports, as it does :mod:`recipe`'s. So the app, the CLI and a
script on another machine read files, build the vocabulary, pad, mask the loss and
score tokens with the same lines.

Layout: a sentence is ``(words, tags)``, two lists of strings of one length. Token
ids are ``int64`` and padded on the right with id 0 (``<pad>``); a word not in the
vocabulary is id 1 (``<unk>``). Padded targets are :data:`IGNORE` (torch's default
``ignore_index``), so the loss and every score skip them.
"""

import csv

import numpy as np
import torch

PAD, UNK = "<pad>", "<unk>"
IGNORE = -100  # the target of a padded position (and of a tag the training split never saw)


class TokenFileError(ValueError):
    """A line of a token file cannot be read; the message names the file and line."""


# -- a built-in corpus, generated from a small grammar -------------------------
LEXICON = {
    "DET": ["the", "a", "every", "this", "that"],
    "ADJ": ["small", "old", "green", "quick", "happy", "light", "tall", "quiet"],
    "NOUN": ["dog", "cat", "child", "teacher", "book", "watch", "run", "park", "river", "city", "bird",
             "light", "garden", "song"],
    "PROPN": ["anna", "paris", "tom", "maria", "london"],
    "PRON": ["she", "he", "they", "we", "it"],
    "VERB": ["sees", "reads", "likes", "finds", "watch", "run", "book", "saw", "sings", "visits", "light"],
    "ADV": ["quickly", "often", "today", "slowly", "there"],
    "ADP": ["in", "near", "with", "under", "from"],
    "CONJ": ["and", "but"],
    "PUNCT": [".", "!"],
}
"""Several words take two or three tags (``watch``, ``run``, ``book``, ``light``), so
a tagger must read the context, not only the word."""


def grammar_sentences(count, seed=0):
    """``count`` tagged sentences from the grammar S → clause (CONJ clause)? PUNCT,
    clause → NP VP, NP → DET ADJ* NOUN | PROPN | PRON, VP → VERB (NP)? (ADV)? (ADP NP)?."""
    rng = np.random.default_rng(seed)

    def word(tag):
        choices = LEXICON[tag]
        return choices[int(rng.integers(len(choices)))], tag

    def noun_phrase():
        kind = rng.random()
        if kind < 0.2:
            return [word("PROPN")]
        if kind < 0.35:
            return [word("PRON")]
        phrase = [word("DET")]
        while rng.random() < 0.35 and len(phrase) < 3:
            phrase.append(word("ADJ"))
        return phrase + [word("NOUN")]

    def clause():
        parts = noun_phrase() + [word("VERB")]
        if rng.random() < 0.7:
            parts += noun_phrase()
        if rng.random() < 0.3:
            parts.append(word("ADV"))
        if rng.random() < 0.4:
            parts += [word("ADP")] + noun_phrase()
        return parts

    sentences = []
    for _ in range(count):
        parts = clause()
        if rng.random() < 0.25:
            parts += [word("CONJ")] + clause()
        parts.append(word("PUNCT"))
        sentences.append(([w for w, _ in parts], [t for _, t in parts]))
    return sentences


# -- files ---------------------------------------------------------------------
def read_conll(path):
    """Sentences from a CoNLL-style file: ``word<TAB>tag`` per line (or columns separated by
    spaces, when the first line has no tab), the tag in the last column, a blank line
    between sentences, ``#`` lines skipped."""
    sentences, words, tags, tabs = [], [], [], None
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                if words:
                    sentences.append((words, tags))
                words, tags = [], []
                continue
            if line.startswith("#"):
                continue
            if tabs is None:  # the first line says how the file separates its columns
                tabs = "\t" in line
            fields = [f.strip() for f in (line.split("\t") if tabs else line.split())]
            fields = [f for f in fields if f]
            if len(fields) < 2:
                what = "a tab" if tabs else "white space"
                raise TokenFileError(f"{path}, line {number}: expected a word and its tag separated by {what}, "
                                     f"got {line.strip()!r}")
            words.append(fields[0])
            tags.append(fields[-1])
    if words:
        sentences.append((words, tags))
    if not sentences:
        raise TokenFileError(f"{path}: no sentences (expected word<TAB>tag lines, a blank line between sentences)")
    return sentences


def read_token_csv(path, delimiter=","):
    """Sentences from a two-column CSV (word, tag); a row with an empty word ends a
    sentence. A first row ``word,tag`` (or ``token,label``…) is a header and skipped."""
    sentences, words, tags = [], [], []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            cells = [cell.strip() for cell in row]
            if number == 1 and len(cells) == 2 and cells[0].lower() in ("word", "token", "text", "form"):
                continue
            if not any(cells) or not cells[0]:
                if words:
                    sentences.append((words, tags))
                words, tags = [], []
                continue
            if len(cells) != 2 or not cells[1]:
                raise TokenFileError(f"{path}, line {number}: expected two columns, a word and its tag; "
                                     f"got {delimiter.join(row)!r}")
            words.append(cells[0])
            tags.append(cells[1])
    if words:
        sentences.append((words, tags))
    if not sentences:
        raise TokenFileError(f"{path}: no sentences (expected word,tag rows, an empty row between sentences)")
    return sentences


# -- vocabulary and encoding ---------------------------------------------------
def build_vocabulary(sentences):
    """``(words, tags)`` from the training sentences: words by first appearance after
    ``<pad>`` (id 0) and ``<unk>`` (id 1); tags sorted."""
    words, seen = [PAD, UNK], {PAD, UNK}
    tags = set()
    for sentence_words, sentence_tags in sentences:
        for w in sentence_words:
            if w not in seen:
                seen.add(w)
                words.append(w)
        tags.update(sentence_tags)
    return words, sorted(tags)


def word_ids(words, vocabulary):
    """Ids of ``words`` (``<unk>`` for a word the vocabulary lacks)."""
    index = {w: i for i, w in enumerate(vocabulary)}
    return [index.get(w, 1) for w in words]


def encode(sentences, vocabulary, tags):
    """``(x, y)``: word ids ``(n, longest)`` padded with 0, tag ids padded with :data:`IGNORE`."""
    longest = max((len(w) for w, _ in sentences), default=1)
    x = np.zeros((len(sentences), longest), dtype=np.int64)
    y = np.full((len(sentences), longest), IGNORE, dtype=np.int64)
    tag_index = {t: i for i, t in enumerate(tags)}
    for row, (sentence_words, sentence_tags) in enumerate(sentences):
        x[row, :len(sentence_words)] = word_ids(sentence_words, vocabulary)
        y[row, :len(sentence_tags)] = [tag_index.get(t, IGNORE) for t in sentence_tags]
    return x, y


class TrimmedBatches:
    """Batches whose padding is cut to the batch's longest sentence (ids padded on the
    right with 0), so a batch of short sentences does not run the network over long ones."""

    def __init__(self, batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def set_epoch(self, epoch):
        self.batches.set_epoch(epoch)

    def __iter__(self):
        for x, y in self.batches:
            length = max(int((x != 0).sum(dim=1).max()) if len(x) else 1, 1)
            yield x[:, :length], y[:, :length]


def token_loss(loss_fn):
    """A loss on ``(N, T, tags)`` outputs and ``(N, T)`` targets from one on ``(N, tags)``
    and ``(N,)``: every token is a sample; padded positions carry :data:`IGNORE`, which
    ``cross_entropy`` and ``nll_loss`` skip."""

    def loss(output, target):
        return loss_fn(output.reshape(-1, output.shape[-1]), target.reshape(-1))

    return loss


# -- scores --------------------------------------------------------------------
def token_scores(outputs, targets, n_tags):
    """``(token accuracy, confusion[true][pred], precision, recall, f1)`` over the tokens
    that are not padding; outputs ``(n, T, tags)``, targets ``(n, T)`` (NumPy)."""
    pred, true = outputs.argmax(axis=-1).ravel(), targets.ravel()
    keep = true != IGNORE
    pred, true = pred[keep], true[keep]
    confusion = np.bincount(true * n_tags + pred, minlength=n_tags * n_tags).reshape(n_tags, n_tags)
    return confusion_scores(confusion)


def confusion_scores(confusion):
    """``(token accuracy, confusion, precision, recall, f1)`` of a ``confusion[true][pred]`` of
    token counts: what processes of a distributed run add up before scoring."""
    confusion = np.asarray(confusion)
    hits = np.diag(confusion).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(hits / confusion.sum(axis=0))
        recall = np.nan_to_num(hits / confusion.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    total = confusion.sum()
    accuracy = float(hits.sum() / total) if total else 0.0
    return accuracy, confusion, precision, recall, f1


@torch.no_grad()
def tag_words(model, words, vocabulary, tags):
    """The tag the trained ``model`` gives each of ``words`` (a list of strings)."""
    if not words:
        return []
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor([word_ids(words, vocabulary)], dtype=torch.int64, device=device)
    return [tags[i] for i in model(ids)[0].argmax(dim=-1).tolist()]
