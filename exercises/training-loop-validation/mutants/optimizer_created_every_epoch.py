"""Creates the Adam optimizer inside the epoch loop: its moment estimates start over every epoch.

Caught by: test_losses_match_a_replayed_reference_loop
"""
import copy

import torch
import torch.nn.functional as F


def train(model: torch.nn.Module, train_loader, val_loader, *, epochs: int, lr: float) -> dict:
    """Train ``model`` with Adam and MSE loss, validating after every epoch.

    Returns ``train_loss`` and ``val_loss`` (one per-sample average per epoch), ``best_epoch``
    (0-based, lowest val loss, earliest on ties) and ``best_state`` (a copy of the state dict then).
    """
    history = {"train_loss": [], "val_loss": [], "best_epoch": -1, "best_state": None}
    best = float("inf")
    for epoch in range(epochs):
        # Training: dropout active, batch-norm statistics updated, gradients recorded.
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        total, count = 0.0, 0
        for x, y in train_loader:              # x (B, features), y (B, 1); the last B may be smaller
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)     # mean over this batch
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)      # back to a sum, so every sample weighs the same
            count += len(x)
        history["train_loss"].append(total / count)

        # Validation: deterministic forward (eval mode), no graph (no_grad), no updates.
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                total += F.mse_loss(model(x), y, reduction="sum").item()
                count += len(x)
        val_loss = total / count
        history["val_loss"].append(val_loss)

        if val_loss < best:                    # strict: on a tie the earlier epoch wins
            best = val_loss
            history["best_epoch"] = epoch
            # state_dict() returns tensors that share memory with the model; without a deep
            # copy the "best" state would keep changing as training goes on.
            history["best_state"] = copy.deepcopy(model.state_dict())
    return history
