"""Rigs for the end-to-end tests: PAM stacks, codes, sshd, sudo."""
