"""Signal processing in pure TensorFlow: no Keras layers, no training.

``stft`` (emphasis filters, centred STFT and its inverse), ``melspec`` (mel
filter bank, log-mel, normalisation), ``vocoding`` (mel inverse, Griffin-Lim,
waveforms back), ``harmonic_combs`` (generated combs through the front-end),
``ops`` (TFLite-friendly constants and the DCT basis), ``audio_files`` (audio
files in and out).
"""
