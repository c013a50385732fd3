"""Generation backends, training examples and (later) fine-tuning: the model side of Openbook.

Other packages reach it only through `models_ft.api`, with the values of `models_ft.contracts`."""
