"""Inference time per case of the nnunet backend against the ``nnUNetv2_predict`` command.

Both run the same trained model on the same phantom CTs (NIfTI in HU) with the same settings
(one fold, no test-time mirroring, step 0.5, 2 workers) and write the model's label maps. The
backend loads the model once in this process and predicts every case in turn
(``NnunetModel.predict``, reading and writing NIfTI included); the command is nnU-Net's own
``nnUNetv2_predict`` started once on the folder of all cases. Prints seconds per
case of each (the backend's split into the one model load and the prediction per case) and their
ratio (backend / command; target <= 1.0), and checks that both give the same labels.

Without ``--model`` a tiny phantom model is trained first (a few minutes on CPU).

Run: .venv/bin/python bench/nnunet.py [--model MODEL_DIR] [--cases 4]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="trained model folder (default: train a tiny phantom model)")
    parser.add_argument("--cases", type=int, default=4, help="phantom CTs to predict")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from lungtrack.phantom.case import make_case
    from lungtrack.segment.nnunet.env import configure
    from lungtrack.segment.nnunet.model import NnunetModel, resolve_model_folder

    tmp = Path(tempfile.mkdtemp(prefix="bench_nnunet_"))
    if args.model is None:
        from lungtrack.train.nnunet_training import TrainingOptions, train_model
        from lungtrack.train.phantom_cases import phantom_cases

        cases = phantom_cases(tmp / "train", 3, 1, 1000)
        args.model = train_model(cases, tmp / "work", tmp / "model", opts=TrainingOptions(
            configuration="2d", optimizer="adam", folds=("all",), epochs=2, iterations_per_epoch=5,
            batch_size=8, base_features=8, max_features=64, target_spacing_mm=(3.6, 3.6, 2.5),
            workers=args.workers))
    folder = resolve_model_folder(args.model)
    fold = sorted(p.parent.name.removeprefix("fold_") for p in folder.glob("fold_*/checkpoint_final.pth"))[0]

    inputs = tmp / "inputs"
    inputs.mkdir()
    for i in range(args.cases):
        sitk.WriteImage(make_case(3000 + i, 0, 1).image(), str(inputs / f"case{i:02d}_0000.nii.gz"))
    images = sorted(inputs.glob("*.nii.gz"))

    configure(args.workers)
    start = time.perf_counter()
    model = NnunetModel(folder, folds=[fold], mirroring=False, step_size=0.5, workers=args.workers)
    load_s = time.perf_counter() - start
    (tmp / "backend").mkdir()
    for image in images:
        labels = model.predict(sitk.ReadImage(str(image)))
        sitk.WriteImage(labels, str(tmp / "backend" / image.name.replace("_0000", "")), True)
    backend_s = (time.perf_counter() - start) / len(images)

    # nnU-Net's results layout: <nnUNet_results>/DatasetXXX_Name/Trainer__Plans__Config
    trainer, plans, configuration = folder.name.split("__")
    command = [str(Path(sys.executable).with_name("nnUNetv2_predict")), "-i", str(inputs),
               "-o", str(tmp / "command"), "-d", folder.parent.name, "-c", configuration, "-tr", trainer,
               "-p", plans, "-f", fold, "--disable_tta", "-npp", str(args.workers), "-nps", str(args.workers),
               "-step_size", "0.5", "-device", "cpu"]
    env = dict(os.environ, nnUNet_results=str(folder.parent.parent))
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    command_s = (time.perf_counter() - start) / len(images)

    same = [np.array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(tmp / "backend" / p.name))),
                           sitk.GetArrayFromImage(sitk.ReadImage(str(tmp / "command" / p.name))))
            for p in sorted((tmp / "command").glob("*.nii.gz"))]
    size = sitk.ReadImage(str(images[0])).GetSize()
    print(f"model {folder}, fold {fold}, {len(images)} cases of {size[0]}x{size[1]}x{size[2]} voxels, CPU")
    print(f"backend (in-process, model loaded once): {backend_s:.2f} s/case"
          f" = model load {load_s:.2f} s / {len(images)} + {backend_s - load_s / len(images):.2f} s prediction")
    print(f"nnUNetv2_predict command:                 {command_s:.2f} s/case")
    print(f"ratio backend / command: {backend_s / command_s:.2f} (target <= 1.0)")
    print(f"identical label maps: {sum(same)}/{len(same)}")


if __name__ == "__main__":
    main()
