"""nnU-Net trainers of lungtrack; nnU-Net finds them through ``nnUNet_extTrainer`` (see ``env``)."""
