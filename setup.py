"""tf_transforms: Conditional End-to-End Audio Transforms in TensorFlow 2 / Keras 3."""

import setuptools

setuptools.setup(
    name="tf_transforms",
    version="0.12.0",
    description=("TensorFlow 2 / Keras 3 implementation of 'Conditional "
                 "End-to-End Audio Transforms' (Haque, Guo, Verma)."),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["tf_transforms", "tf_transforms.*",
                                               "tfds_builders", "tfds_builders.*"]),
    package_data={"tfds_builders.tts_words": ["words.txt"]},
    python_requires=">=3.10",
    install_requires=[
        # `tensorflow`, not `tensorflow-cpu`: tensorflow-serving-api pulls in
        # `tensorflow`, and two TF wheels in one environment clobber each other.
        "tensorflow>=2.21,<2.22",
        "keras>=3.15,<4",
        "tensorflow-datasets>=4.9.10,<5",
        "importlib_resources>=6.4,<8",  # TFDS builders need it (code_path), TFDS does not list it
        "tensorboard>=2.21,<2.22",  # tf.summary.audio / image need it.
        "numpy>=2.0,<3",
        "scipy>=1.13,<2",
        # pitch.py hands pyin's Viterbi decoding to sparse_viterbi, which replaces
        # librosa.sequence._viterbi (a private name) while pyin runs: tests check
        # the result equals librosa's own, bit for bit, on this range.
        "librosa>=0.11,<0.12",
        "numba>=0.60,<1",  # sparse_viterbi (librosa needs it too)
        "soundfile>=0.13,<0.14",
        "soxr>=0.5,<2",
        "absl-py>=2.1,<3",
        "scikit-learn>=1.4,<2",  # evaluation: style classifier, t-SNE
        "matplotlib>=3.8,<4",    # evaluation: figures
        # Evaluation's independent judges (prebuilt wheels; pyworld and pysptk
        # are source-only for Python 3.11 here): WORLD for the field's MCD and
        # F0, pocketsphinx (en-US model in the wheel) for words.
        "pyworld-prebuilt>=0.3.6,<0.4",
        "pocketsphinx>=5.1,<6",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "pytest-xdist>=3.6,<4",  # scripts/test.sh runs test files on both cores
            "mel-cepstral-distance>=0.0.4,<0.1",
            "dill>=0.3.8,<0.5",  # tfds.testing imports it
            "tensorflow-hub>=0.16.1,<0.17",  # export works with hub.load ...
            "tf_keras>=2.21,<2.22",          # ... and hub.KerasLayer (Keras 2)
            "ai-edge-litert>=2.0,<3",        # the TFLite runtime
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
        "Topic :: Multimedia :: Sound/Audio",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
