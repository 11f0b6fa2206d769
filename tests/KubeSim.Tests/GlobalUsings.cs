global using IstioPodNetwork.KubeSim.Store;
