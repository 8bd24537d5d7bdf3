"""gem: fast, batched Gymnasium environments for electric drives."""
