"""The LSTM's own optimiser: the same update rule as ``torch.optim.Adam``.

``neural._Adam`` exists only because ``torch.optim.Adam`` imports ``torch._dynamo`` on
first use (about a second in every fresh worker process); this pins it to PyTorch's.
"""

import pytest

torch = pytest.importorskip("torch")

from forecasting.engine.neural import _Adam  # noqa: E402


def _train(make_optimiser, steps: int = 25) -> list:
    torch.manual_seed(7)
    net = torch.nn.LSTM(input_size=1, hidden_size=4, batch_first=True)
    head = torch.nn.Linear(4, 1)
    params = list(net.parameters()) + list(head.parameters())
    optimiser = make_optimiser(params)
    x = torch.linspace(0, 3, 30).reshape(3, 10, 1)
    y = torch.sin(x[:, -1, :])
    for _ in range(steps):
        optimiser.zero_grad()
        out, _ = net(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1, :]), y)
        loss.backward()
        optimiser.step()
    return [p.detach().clone() for p in params]


def test_hand_written_adam_takes_the_same_steps_as_torch_adam():
    # Given the same network, data and seed
    # When trained 25 steps with each optimiser
    ours = _train(lambda params: _Adam(params, lr=0.01))
    theirs = _train(lambda params: torch.optim.Adam(params, lr=0.01, foreach=False))
    # Then every parameter ends up the same (to float32 rounding)
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs, strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    # And training moved them (the comparison is not between untouched weights)
    untouched = _train(lambda params: _Adam(params, lr=0.01), steps=0)
    assert not all(torch.allclose(a, b) for a, b in zip(ours, untouched, strict=True))
