"""Checkpoint metrics of a batch of checkpoints against the same metrics one checkpoint at a time."""

import numpy as np

from numerics.attention import attend
from numerics.data import make_data
from numerics.metrics import checkpoint_metrics, role_attention
from theory.params import ProblemParams
from theory.roles import token_roles


def test_a_batch_of_checkpoints_has_the_metrics_of_each_checkpoint_alone():
    params = ProblemParams(dim=30, seq_len=5, n_train=8, n_test=13, label_noise=0.25, relevant_tokens=2)
    data, roles = make_data(params), token_roles(params)
    gamma, gamma_test = data.train.tokens @ data.nu, data.test.tokens @ data.nu
    rng = np.random.default_rng(4)
    z, z_test = 3 * rng.standard_normal((6, 8, 5)), 3 * rng.standard_normal((6, 13, 5))
    batch = checkpoint_metrics(z, gamma, data.train, z_test, gamma_test, data.test, roles=roles)
    for k in range(6):
        alone = checkpoint_metrics(z[k], gamma, data.train, z_test[k], gamma_test, data.test, roles=roles)
        assert alone.keys() == batch.keys()
        for name, value in alone.items():
            np.testing.assert_allclose(batch[name][k], value, rtol=1e-14, atol=0, err_msg=name)
    # Independently of checkpoint_metrics: the test accuracy and the mean attention by role.
    s_test, f_test = attend(z_test, gamma_test)
    np.testing.assert_array_equal(batch["test_acc"], np.mean(data.test.labels * f_test > 0, axis=1))
    np.testing.assert_allclose(batch["test_attention_roles"], role_attention(s_test, roles).mean(axis=1), rtol=1e-14)


def test_role_attention_along_another_axis_is_the_transposed_sum():
    roles = token_roles(ProblemParams(seq_len=6, relevant_tokens=2, weak_tokens=2))
    s = np.random.default_rng(1).random((3, 6, 4))  # tokens along axis 1
    np.testing.assert_array_equal(role_attention(s, roles, axis=1), role_attention(s.transpose(0, 2, 1), roles))
    assert role_attention(s, roles, axis=1).shape == (3, 4, 4)
