"""A small LSTM in PyTorch (CPU).

Inputs are windows of the standardised series expressed relative to the window's last
value, plus the seasonal position; the network predicts the next change, so an
untrained network is a naive forecast. Training is full-batch Adam with a fixed seed
and early stopping on an internal hold-out (the last season); the hold-out's recursive
multi-step errors give conformal intervals; the model is then retrained on the whole
series for the epoch count early stopping chose.

Pickling stores the weights as ``torch.save`` bytes of the state dict, never the
``nn.Module``, and loads them back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast
from forecasting.engine.intervals import conformal_forecast, normalised_scores
from forecasting.engine.windows import holdout_size, n_lags_for, position_features

TORCH_THREADS = 1


@functools.cache
def _network_class() -> type:
    import torch

    class LSTMNetwork(torch.nn.Module):
        """One LSTM layer and a linear head predicting the next change."""

        def __init__(self, input_size: int, hidden_size: int) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(input_size, hidden_size, batch_first=True)
            self.head = torch.nn.Linear(hidden_size, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1, :]).squeeze(-1)

    return LSTMNetwork


class _Adam:
    """Adam with PyTorch's defaults and update rule (betas 0.9/0.999, eps 1e-8).

    ``torch.optim.Adam`` imports ``torch._dynamo`` on first use (about a second per
    fresh worker process, longer than the whole training of this small network).
    """

    def __init__(self, params: list[Any], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        import torch

        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        import torch

        self.t += 1
        beta1, beta2 = self.betas
        correction1 = 1 - beta1**self.t
        correction2_sqrt = math.sqrt(1 - beta2**self.t)
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v, strict=True):
                if p.grad is None:
                    continue
                m.lerp_(p.grad, 1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / correction1)


class LSTMForecaster(BaseForecaster):
    """Recursive one-step LSTM with early stopping and conformal intervals."""

    name: ClassVar[str] = "lstm"
    monthly_min_points: ClassVar[int] = 12
    native_intervals: ClassVar[bool] = False

    def __init__(
        self,
        *,
        season_length: int = 12,
        hidden_size: int = 16,
        lookback: int | None = None,
        max_epochs: int = 150,
        patience: int = 15,
        learning_rate: float = 0.01,
        random_state: int = 0,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.hidden_size = hidden_size
        self.lookback = lookback
        self.max_epochs = max_epochs
        self.patience = patience
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    # --- data ----------------------------------------------------------------------------

    def _windows(self, z: np.ndarray, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (n, lookback, 3) for targets ``z[t]``, ``t >= lookback + start``."""
        L = self.lookback_
        xs, ys = [], []
        for t in range(max(L, start), len(z)):
            xs.append(self._row(z[t - L : t], t))
            ys.append(z[t] - z[t - 1])
        return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)

    def _row(self, window: np.ndarray, t: int) -> np.ndarray:
        positions = position_features(np.arange(t - len(window), t) + 1, self.season_length)
        return np.column_stack([window - window[-1], positions]).astype(np.float32)

    # --- training ------------------------------------------------------------------------

    def _new_network(self) -> Any:
        import torch

        torch.manual_seed(int(self.random_state))
        return _network_class()(3, int(self.hidden_size))

    def _train(
        self, x: np.ndarray, y: np.ndarray, epochs: int, val: tuple[np.ndarray, np.ndarray] | None
    ) -> tuple[Any, int]:
        import torch

        net = self._new_network()
        optimiser = _Adam(list(net.parameters()), lr=float(self.learning_rate))
        loss_fn = torch.nn.MSELoss()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        best_loss, best_epoch, best_state, waited = np.inf, epochs, None, 0
        if val is not None:
            xv, yv = torch.from_numpy(val[0]), torch.from_numpy(val[1])
        for epoch in range(1, epochs + 1):
            net.train()
            optimiser.zero_grad()
            loss = loss_fn(net(xt), yt)
            loss.backward()
            optimiser.step()
            if val is None:
                continue
            net.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(net(xv), yv))
            if val_loss < best_loss - 1e-7:
                best_loss, best_epoch, waited = val_loss, epoch, 0
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return net, best_epoch

    def _recursive(self, net: Any, z: np.ndarray, horizon: int) -> np.ndarray:
        import torch

        history = list(z)
        with torch.no_grad():
            for _ in range(horizon):
                t = len(history)
                window = np.asarray(history[-self.lookback_ :], dtype=float)
                x = torch.from_numpy(self._row(window, t)[None, :, :])
                history.append(history[-1] + float(net(x)[0]))
        return np.asarray(history[len(z) :], dtype=float)

    # --- protocol ------------------------------------------------------------------------

    def _fit(self, y: np.ndarray) -> None:
        import torch

        torch.set_num_threads(TORCH_THREADS)
        self.center_ = float(np.mean(y))
        self.scale_ = float(np.std(y)) or 1.0
        z = (y - self.center_) / self.scale_
        m = holdout_size(len(z), self.season_length)
        self.lookback_ = int(self.lookback or n_lags_for(len(z) - m - 1, self.season_length))
        x_all, y_all = self._windows(z)
        n_train = len(x_all) - m
        x_val, y_val = x_all[n_train:], y_all[n_train:]
        net, best_epoch = self._train(x_all[:n_train], y_all[:n_train], int(self.max_epochs),
                                      (x_val, y_val))
        errors = (z[-m:] - self._recursive(net, z[:-m], m)) * self.scale_
        self.scores_ = normalised_scores(errors, np.arange(1, m + 1))
        self.epochs_ = int(best_epoch)
        self.net_, _ = self._train(x_all, y_all, self.epochs_, None)
        self.z_ = z

    def _predict(self, horizon: int) -> Forecast:
        import torch

        # One intra-op thread: several server or worker processes share the cores, and
        # torch's default pool (one thread per core in every process) oversubscribes them.
        torch.set_num_threads(TORCH_THREADS)
        mean = self._recursive(self.net_, self.z_, horizon) * self.scale_ + self.center_
        return conformal_forecast(mean, self.scores_)

    # --- persistence ---------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        import io

        import torch

        state = self.__dict__.copy()
        net = state.pop("net_", None)
        if net is not None:
            buffer = io.BytesIO()
            torch.save(net.state_dict(), buffer)
            state["net_state_"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("net_state_", None)
        self.__dict__.update(state)
        if weights is not None:
            import io

            import torch

            # Only tensors come back: weights_only refuses any pickled code in the blob.
            state_dict = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
            net = _network_class()(3, int(self.hidden_size))
            net.load_state_dict(state_dict)
            net.eval()
            self.net_ = net
