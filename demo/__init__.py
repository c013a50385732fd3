"""The Quillfeather demo company (see COMPANY.md): its facts, ticket scenarios and policy documents as data files
under data/, the loaders that read them (company, scenarios, documents) and the seed that loads them."""
