# RNN character model -- I renamed the weights so I could remember what they do.
import numpy as np

text = open('input.txt').read()
letters = sorted(set(text))
vocab_size = len(letters)
to_index = {ch: i for i, ch in enumerate(letters)}
to_letter = {i: ch for i, ch in enumerate(letters)}

neurons = 80
steps = 25
learning_rate = 0.1

inputLayer = np.random.randn(neurons, vocab_size) * 0.01    # x -> h
hiddenHidden = np.random.randn(neurons, neurons) * 0.01     # h -> h
hiddenOutput = np.random.randn(vocab_size, neurons) * 0.01  # h -> y
hiddenBias = np.zeros((neurons, 1))
outputBias = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    x, h, prob = {}, {}, {}
    h[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        x[t] = np.zeros((vocab_size, 1))
        x[t][inputs[t]] = 1
        h[t] = np.tanh(inputLayer.dot(x[t]) + hiddenHidden.dot(h[t - 1]) + hiddenBias)
        out = hiddenOutput.dot(h[t]) + outputBias
        prob[t] = np.exp(out) / np.sum(np.exp(out))
        loss += -np.log(prob[t][targets[t], 0])

    dInput = np.zeros_like(inputLayer)
    dHidden = np.zeros_like(hiddenHidden)
    dOutput = np.zeros_like(hiddenOutput)
    dHiddenBias = np.zeros_like(hiddenBias)
    dOutputBias = np.zeros_like(outputBias)
    dh_next = np.zeros_like(h[0])
    for t in reversed(range(len(inputs))):
        dout = np.copy(prob[t])
        dout[targets[t]] -= 1
        dOutput += dout.dot(h[t].T)
        dOutputBias += dout
        dh = hiddenOutput.T.dot(dout) + dh_next
        draw = (1 - h[t] ** 2) * dh
        dHiddenBias += draw
        dInput += draw.dot(x[t].T)
        dHidden += draw.dot(h[t - 1].T)
        dh_next = hiddenHidden.T.dot(draw)
    return loss, dInput, dHidden, dOutput, dHiddenBias, dOutputBias, h[len(inputs) - 1]


def generate(h, first, length):
    x = np.zeros((vocab_size, 1))
    x[first] = 1
    result = []
    for _ in range(length):
        h = np.tanh(inputLayer.dot(x) + hiddenHidden.dot(h) + hiddenBias)
        out = hiddenOutput.dot(h) + outputBias
        p = np.exp(out) / np.sum(np.exp(out))
        nxt = np.random.choice(vocab_size, p=p.ravel())
        x = np.zeros((vocab_size, 1))
        x[nxt] = 1
        result.append(to_letter[nxt])
    return ''.join(result)


weights = [inputLayer, hiddenHidden, hiddenOutput, hiddenBias, outputBias]
memory = [np.zeros_like(w) for w in weights]
pos, it = 0, 0
hprev = np.zeros((neurons, 1))
while True:
    if pos + steps + 1 >= len(text):
        pos, hprev = 0, np.zeros((neurons, 1))
    inputs = [to_index[c] for c in text[pos:pos + steps]]
    targets = [to_index[c] for c in text[pos + 1:pos + steps + 1]]
    loss, *grads, hprev = lossFun(inputs, targets, hprev)
    for w, g, m in zip(weights, grads, memory):
        np.clip(g, -5, 5, out=g)
        m += g * g
        w -= learning_rate * g / np.sqrt(m + 1e-8)
    if it % 200 == 0:
        print(it, loss)
        print(generate(hprev, inputs[0], 150))
    pos += steps
    it += 1
