"""Outputs, every one rendered from the one results document (model.Results.to_dict())."""
