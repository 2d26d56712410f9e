"""Training nnU-Net v2 models for the ``nnunet`` backend: export labelled cases, plan, train, install."""
