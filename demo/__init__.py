"""The Quillfeather demo company (see COMPANY.md): catalogue, people, scenarios and policy documents."""
