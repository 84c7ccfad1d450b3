import torch
import torch.nn.functional as F


def train(model: torch.nn.Module, train_loader, val_loader, *, epochs: int, lr: float) -> dict:
    """Train ``model`` with Adam and MSE loss, validating after every epoch.

    Returns ``train_loss`` and ``val_loss`` (one per-sample average per epoch), ``best_epoch``
    (0-based, lowest val loss, earliest on ties) and ``best_state`` (a copy of the state dict then).
    """
    # A first draft with the classic mistakes: no train/eval switching, no torch.no_grad(),
    # losses averaged per batch, and a "best" state that is a live reference into the model.
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0, "best_state": None}
    best = float("inf")
    for epoch in range(epochs):
        batch_losses = []
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        history["train_loss"].append(sum(batch_losses) / len(batch_losses))

        batch_losses = [F.mse_loss(model(x), y).item() for x, y in val_loader]
        val_loss = sum(batch_losses) / len(batch_losses)
        history["val_loss"].append(val_loss)
        if val_loss < best:
            best = val_loss
            history["best_epoch"] = epoch
            history["best_state"] = model.state_dict()
    return history
