from source_amplitude_til.run import run

run()
