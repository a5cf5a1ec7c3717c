"""The package list, which pyproject.toml alone cannot say: the Python packages,
plus app/ (the dashboard's static files) installed as ``dataset_core_app``, where
``server.app.static_dir()`` finds it when there is no app/ beside server/."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["dataset_core*", "brain*", "server*"])
    + ["dataset_core_app", "dataset_core_app.js"],
    package_dir={"dataset_core_app": "app"},
)
