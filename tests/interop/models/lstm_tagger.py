"""A part-of-speech tagger: embeddings, an LSTM over the sentence, a score per tag and word."""

import torch.nn.functional as F
from torch import nn

VOCAB_SIZE = 50
TAGS = 6


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim=16, hidden_dim=24):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB_SIZE, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)
        self.hidden2tag = nn.Linear(hidden_dim, TAGS)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds)
        tag_space = self.hidden2tag(lstm_out)
        tag_scores = F.log_softmax(tag_space, dim=2)
        return tag_scores


class SentenceClassifier(nn.Module):
    """Classifies a whole sentence from the last hidden state of a two-layer GRU."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, 12, padding_idx=0)
        self.gru = nn.GRU(12, 20, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(20, 3)

    def forward(self, tokens):
        _, h = self.gru(self.embed(tokens))
        return self.head(h[-1])
