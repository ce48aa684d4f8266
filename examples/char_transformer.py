"""A character-level transformer (two TransformerEncoderLayers, causal) learns nursery rhymes.

The text ships with ndgrad (`ndgrad.data.text("nursery_rhymes")`). After training, the model
continues a few prompts one character at a time.
Run: python examples/char_transformer.py [--steps 600]
Written as a PyTorch script would be; `import ndgrad as torch` is the only change.
"""

import argparse

import ndgrad as torch
from ndgrad import nn
from ndgrad.data import text

CONTEXT = 48


class CharTransformer(nn.Module):
    def __init__(self, vocab, d_model=64, nhead=4, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(CONTEXT, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=128, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(CONTEXT))

    def forward(self, idx):
        t = idx.shape[1]
        h = self.embed(idx) + self.pos[:t]
        h = self.encoder(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(h)


def sample(model, stoi, itos, prompt, n, temperature=0.8):
    idx = torch.tensor([[stoi[c] for c in prompt]])
    with torch.no_grad():
        for _ in range(n):
            logits = model(idx[:, -CONTEXT:])[:, -1] / temperature
            nxt = torch.multinomial(torch.softmax(logits, -1), 1)
            idx = torch.cat([idx, nxt], 1)
    return "".join(itos[i] for i in idx[0].tolist())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    args = ap.parse_args()
    torch.manual_seed(0)
    corpus = text("nursery_rhymes")
    chars = sorted(set(corpus))
    stoi = {c: i for i, c in enumerate(chars)}
    itos = dict(enumerate(chars))
    data = torch.tensor([stoi[c] for c in corpus])
    model = CharTransformer(len(chars))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    print(
        f"{len(corpus)} characters, {len(chars)} distinct; "
        f"{sum(p.numel() for p in model.parameters())} parameters"
    )
    for step in range(1, args.steps + 1):
        starts = torch.randint(0, len(data) - CONTEXT - 1, (32,))
        xb = torch.stack([data[s : s + CONTEXT] for s in starts.tolist()])
        yb = torch.stack([data[s + 1 : s + CONTEXT + 1] for s in starts.tolist()])
        opt.zero_grad()
        loss = loss_fn(model(xb).reshape(-1, len(chars)), yb.reshape(-1))
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == 1:
            print(f"step {step:4d}  loss {loss.item():.3f}")
    model.eval()
    for prompt in ("Twinkle, ", "Jack and ", "The cow "):
        print(repr(sample(model, stoi, itos, prompt, 60)))


if __name__ == "__main__":
    main()
