"""The nnc Python package against the nnc tool: same outputs, the same
optimizer steps bit for bit, errors as exceptions. Run by ctest with
PYTHONPATH at the build's python/ directory and NNC_TOOL at the tool."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import nnc

SOURCE = os.environ["NNC_SOURCE_DIR"]
TOOL = os.environ["NNC_TOOL"]
EXAMPLES = ["lenet5", "convbn", "alexnet_tiny", "vgg_tiny", "rbf", "xor_mlp",
            "lstm_fmnist", "gru_fmnist"]


def example(name):
    return os.path.join(SOURCE, "examples", "models", name + ".json")


def inputs_of(name, batch, seed):
    rng = np.random.RandomState(seed)
    if name == "xor_mlp":
        return {"x": rng.rand(batch, 2).astype(np.float32)}
    return {"image": rng.rand(batch, 1, 28, 28).astype(np.float32)}


class NncPackage(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def tool(self, *args):
        subprocess.run([TOOL, *args], check=True, stdout=subprocess.DEVNULL)

    def test_every_example_computes_what_nnc_run_does(self):
        for name in EXAMPLES:
            with self.subTest(name):
                feed = inputs_of(name, 3, 1)
                files = []
                for key, array in feed.items():
                    np.save(self.path(key + ".npy"), array)
                    files += ["--input", f"{key}={self.path(key + '.npy')}"]
                out = self.path(name)
                self.tool("run", example(name), *files, "--output-dir", out,
                          "--format", "npy")
                got = nnc.load(example(name)).compile("infer")(**feed)
                for key, array in got.items():
                    want = np.load(os.path.join(out, key + ".npy"))
                    self.assertEqual(array.shape, want.shape)
                    np.testing.assert_array_equal(array, want)

    def test_twenty_trainer_steps_equal_nnc_step_bit_for_bit(self):
        rng = np.random.RandomState(2)
        image = rng.rand(16, 1, 28, 28).astype(np.float32)
        label = rng.randint(0, 10, 16).astype(np.int64)
        np.save(self.path("image.npy"), image)
        np.save(self.path("label.npy"), label)
        self.tool("step", example("convbn"), "--loss", "loss", "--optimizer",
                  "adam", "--hparams", '{"lr": 0.002, "weight_decay": 0.01}',
                  "--steps", "20", "--input", f"image={self.path('image.npy')}",
                  "--input", f"label={self.path('label.npy')}",
                  "--output-dir", self.path("steps"))
        trainer = nnc.load(example("convbn")).trainer(
            optimizer="adam", lr=0.002, weight_decay=0.01)
        for _ in range(20):
            loss = trainer.step(image=image, label=label)
        self.assertTrue(np.isfinite(loss))
        self.assertEqual(trainer.steps, 20)
        params = trainer.parameters()
        self.assertEqual(len(params), 12)
        for key, array in params.items():
            raw = np.fromfile(os.path.join(self.path("steps"), key + ".bin"),
                              np.float32).reshape(array.shape)
            np.testing.assert_array_equal(array, raw, err_msg=key)
        trainer.save(self.path("trained.nnc"))
        again = nnc.load(self.path("trained.nnc")).compile("infer")(
            image=image)["logits"]
        self.assertEqual(again.shape, (16, 10))

    def test_compile_for_a_batch_size_ahead(self):
        model = nnc.load(example("lenet5"))
        infer = model.compile("infer", batch=4, threads=1, fuse=False)
        x = inputs_of("lenet5", 4, 3)["image"]
        want = model.compile("infer")(image=x)["logits"]
        np.testing.assert_allclose(infer(image=x)["logits"], want, rtol=1e-5,
                                   atol=1e-6)
        self.assertEqual(infer(image=x[:2])["logits"].shape, (2, 10))
        with self.assertRaisesRegex(nnc.Error, "batch must be at least 1"):
            model.compile("infer", batch=0)

    def test_contiguous_float32_inputs_are_read_without_a_copy(self):
        infer = nnc.load(example("lenet5")).compile("infer")
        x = inputs_of("lenet5", 4, 2)["image"]
        want = infer(image=x.copy())["logits"]
        got = infer(image=x)["logits"]
        address = x.__array_interface__["data"][0]
        self.assertEqual(infer._last_read["image"], address)
        np.testing.assert_array_equal(got, want)
        # A strided view is copied into a contiguous one: the same numbers.
        wide = np.zeros((4, 1, 28, 56), np.float32)
        wide[..., ::2] = x
        strided = wide[..., ::2]
        np.testing.assert_array_equal(infer(image=strided)["logits"], want)
        self.assertNotEqual(infer._last_read["image"],
                            strided.__array_interface__["data"][0])

    def test_bad_inputs_raise_nncs_message(self):
        infer = nnc.load(example("lenet5")).compile("infer")
        with self.assertRaisesRegex(nnc.Error, "has no input 'picture'"):
            infer(picture=np.zeros((1, 1, 28, 28), np.float32))
        with self.assertRaisesRegex(nnc.Error, "has shape .* expected"):
            infer(image=np.zeros((1, 28, 28), np.float32))
        with self.assertRaisesRegex(nnc.Error, "must be a NumPy array"):
            infer(image="not an array")
        with self.assertRaisesRegex(nnc.Error, "must be float32, found float64"):
            infer(image=np.zeros((1, 1, 28, 28)))
        with self.assertRaisesRegex(nnc.Error, "cannot open"):
            nnc.load(self.path("missing.nnc"))

    def test_from_torch_matches_pytorch(self):
        import torch

        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
            torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
            torch.nn.Linear(4 * 14 * 14, 10)).eval()
        with torch.no_grad():  # running statistics that are not 0 and 1
            net[1].running_mean.uniform_(-0.5, 0.5)
            net[1].running_var.uniform_(0.5, 2)
        model = nnc.from_torch(net, torch.zeros(2, 1, 28, 28))
        x = np.random.RandomState(3).rand(5, 1, 28, 28).astype(np.float32)
        got = model.compile("infer")(input=x)["output"]
        want = net(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        # Trained with a loss attached, as nnc train --loss does.
        trainer = model.trainer(optimizer="adam", lr=1e-2,
                                attach_loss="softmax-ce")
        label = np.arange(5, dtype=np.int64)
        first = trainer.step(input=x, label=label)
        for _ in range(20):
            last = trainer.step(input=x, label=label)
        self.assertLess(last, first / 4)

    def test_summary_is_nnc_infos_text(self):
        text = nnc.load(example("lenet5")).summary()
        self.assertIn("layers of infer (output shapes at batch 1):", text)
        self.assertIn("parameters: 61,706 ", text)

    def test_a_model_built_in_python_trains(self):
        from nnc.builder import Model, adam

        m = Model("mlp", "a one-hidden-layer classifier")
        x = m.tensor("image", [-1, 1, 28, 28], "INPUT")
        h = m.op("Flatten", [x], "flatten")
        h = m.op("Relu", [m.dense(h, 784, 32, "fc1")], "relu")
        m.classifier(x, m.dense(h, 32, 10, "fc2", out="logits"), adam(1e-2))
        m.write(self.path("mlp.json"))
        trainer = nnc.load(self.path("mlp.json")).trainer(optimizer="adam",
                                                          lr=1e-2)
        rng = np.random.RandomState(4)
        image = rng.rand(32, 1, 28, 28).astype(np.float32)
        label = rng.randint(0, 10, 32).astype(np.int64)
        first = trainer.step(image=image, label=label)
        for _ in range(30):
            last = trainer.step(image=image, label=label)
        self.assertLess(last, first / 4)  # it fits one batch

    def test_pytorch_style_recurrent_layers_build_and_train(self):
        from nnc.builder import Model, adam

        m = Model("rows", "two bidirectional LSTM layers over image rows")
        x = m.tensor("image", [-1, 1, 8, 8], "INPUT")
        rows = m.op("Reshape", [x], "rows", shape=[0, 8, 8])
        y, h_n, c_n = m.recurrent("Lstm", rows, 8, 6, "lstm", num_layers=2,
                                  bidirectional=True, batch_first=True,
                                  dropout=0.1)
        self.assertEqual((h_n, c_n), ("lstm.h_n", "lstm.c_n"))
        flat = m.op("Flatten", [y], "flat")
        m.classifier(x, m.dense(flat, 8 * 12, 10, "fc", out="logits"),
                     adam(1e-2))
        m.write(self.path("rows.json"))
        model = nnc.load(self.path("rows.json"))
        rng = np.random.RandomState(5)
        image = rng.rand(16, 1, 8, 8).astype(np.float32)
        label = rng.randint(0, 10, 16).astype(np.int64)
        logits = model.compile("infer")(image=image)["logits"]
        self.assertEqual(logits.shape, (16, 10))
        trainer = model.trainer(optimizer="adam", lr=1e-2)
        first = trainer.step(image=image, label=label)
        for _ in range(40):
            last = trainer.step(image=image, label=label)
        self.assertLess(last, first / 2)

    def test_the_command_line_runs_as_a_module(self):
        done = subprocess.run([sys.executable, "-m", "nnc", "--version"],
                              capture_output=True, text=True, check=True)
        self.assertTrue(done.stdout.startswith("nnc "), done.stdout)
        self.assertEqual(nnc.main(["info"]), 2)


if __name__ == "__main__":
    unittest.main()
