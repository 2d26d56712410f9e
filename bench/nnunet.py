"""Inference time per case of the nnunet backend: against ``nnUNetv2_predict``, and in batches against one process per CT.

Both run the same trained model on the same phantom CTs (NIfTI in HU) with the same settings
(one fold, no test-time mirroring, step 0.5, 2 workers) and write the model's label maps. The
backend loads the model once in this process and predicts every case in turn
(``NnunetModel.predict``, reading and writing NIfTI included); the command is nnU-Net's own
``nnUNetv2_predict`` started once on the folder of all cases. Prints seconds per
case of each (the backend's split into the one model load and the prediction per case) and their
ratio (backend / command; target <= 1.0), and checks that both give the same labels.

Then ``lungtrack segment`` as the workflow runs it, each command a process of its own: one process per
CT that loads the model and writes lungs and lesions (rule segment_nnunet without batches, the baseline),
against one process for all CTs (``--case``, rule segment_nnunet_batch: one model load) followed by one
``--predicted`` process per CT making its masks from the label maps (rule segment_nnunet in batches).
Prints seconds per case of each, the model loads of each (from the log), their ratio (batch / per CT;
target < 1.0), and checks that both give the same masks.

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
    _batch_against_per_ct(folder, fold, images, tmp / "workflow", args.workers)


def _lungtrack(*args) -> tuple[float, str]:
    """(seconds, log) of `lungtrack ARGS` run as a process of its own."""
    start = time.perf_counter()
    res = subprocess.run([str(Path(sys.executable).with_name("lungtrack")), *map(str, args)], capture_output=True,
                         text=True, check=True)
    return time.perf_counter() - start, res.stderr


def _batch_against_per_ct(folder: Path, fold: str, images: list, out: Path, workers: int) -> None:
    model = ["--model", folder, "--folds", fold, "--workers", workers]
    masks = {way: {image: [out / way / f"{image.name}_{k}.nii.gz" for k in ("lungs", "lesions")] for image in images}
             for way in ("per_ct", "batch")}

    def mask_args(way, image):
        return ["--lungs", masks[way][image][0], "--lesions", masks[way][image][1]]

    runs = [_lungtrack("segment", image, *model, *mask_args("per_ct", image)) for image in images]
    per_ct_s, per_ct_loads = sum(t for t, _ in runs), sum(log.count(" loaded (") for _, log in runs)
    prefixes = {image: out / "batch" / image.name.split(".")[0] for image in images}
    batch_s, log = _lungtrack("segment", *model, *[w for image in images for w in ("--case", image, prefixes[image])])
    batch_loads = log.count(" loaded (")
    masks_s = sum(_lungtrack("segment", image, *model, "--predicted", prefixes[image], *mask_args("batch", image))[0]
                  for image in images)
    n = len(images)
    same = sum(np.array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(a))), sitk.GetArrayFromImage(sitk.ReadImage(str(b))))
               for image in images for a, b in zip(masks["per_ct"][image], masks["batch"][image]))
    print(f"lungtrack segment, one process per CT:   {per_ct_s / n:.2f} s/case ({per_ct_loads} model loads)")
    print(f"lungtrack segment in a batch:            {(batch_s + masks_s) / n:.2f} s/case ({batch_loads} model load"
          f" for {n} CTs: batch {batch_s / n:.2f} s/case + masks from its label maps {masks_s / n:.2f} s/case)")
    print(f"ratio batch / per CT: {(batch_s + masks_s) / per_ct_s:.2f} (target < 1.0)")
    print(f"identical masks: {same}/{2 * n}")


if __name__ == "__main__":
    main()
